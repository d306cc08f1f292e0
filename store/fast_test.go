//go:build gremlins

package store_test

// fastTests makes the tests' stores skip fsync: mutation testing runs the suite hundreds of
// times (gremlins unleash --tags gremlins).
const fastTests = true
