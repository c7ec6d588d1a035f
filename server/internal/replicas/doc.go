// Package replicas holds what the replicas of the service share when they store profiles in
// Auth0: a per-user write lock, cache invalidations, a shared copy of recently read profiles and
// the tenant's Management API budget. Local is one process on its own; Redis shares all of it
// with every replica configured with the same Redis and key prefix. It knows nothing of Auth0's
// API or of profiling rules.
package replicas
