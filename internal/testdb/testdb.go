// Package testdb cleans up after the tests that use the real Redis and
// PostgreSQL servers (DIALGATE_TEST_REDIS, DIALGATE_TEST_POSTGRES): the keys
// of a test's Redis prefix and a test's PostgreSQL schema. Cleanup is best
// effort: a server that went away leaves them for the next run's fresh
// names.
package testdb

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"
)

// DropRedisPrefix deletes the keys of a redisstore prefix ({prefix}:*) on
// the Redis server at url.
func DropRedisPrefix(url, prefix string) {
	o, err := redis.ParseURL(url)
	if err != nil {
		return
	}
	c := redis.NewClient(o)
	defer c.Close()
	ctx := context.Background()
	iter := c.Scan(ctx, 0, "{"+prefix+"}:*", 1000).Iterator()
	for iter.Next(ctx) {
		c.Del(ctx, iter.Val())
	}
}

// DropPostgresSchema drops schema, and everything in it, on the PostgreSQL
// server at url.
func DropPostgresSchema(url, schema string) {
	ctx := context.Background()
	c, err := pgx.Connect(ctx, url)
	if err != nil {
		return
	}
	defer c.Close(ctx)
	c.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE")
}
