// Package procstat reads CPU time from Linux's /proc: what a process has used (/proc/<pid>/stat)
// and what the whole machine has, stolen time included (/proc/stat). It only reads; it must not
// signal or otherwise touch a process.
package procstat
