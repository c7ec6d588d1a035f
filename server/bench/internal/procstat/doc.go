// Package procstat reads the CPU time a process has used from Linux's /proc/<pid>/stat. It only
// reads; it must not signal or otherwise touch the process.
package procstat
