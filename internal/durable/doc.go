// Package durable holds the one file-system primitive the append-only logs
// of dialgate (the audit log, the embedded store's counter journal) share:
// making a file's appended data durable.
package durable
