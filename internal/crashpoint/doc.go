// Package crashpoint kills the process at a named point of a multi-step write when the
// environment asks for it, so that crash-safety tests stop a real process deterministically
// between two steps instead of hoping a random kill lands there.
//
// SCL_CRASH_POINT=NAME kills the process (SIGKILL: no deferred function, no flush) the first
// time Hit(NAME) runs; NAME@N kills it at the Nth time. Unset, Hit costs one comparison.
package crashpoint
