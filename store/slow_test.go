//go:build !gremlins

package store_test

// fastTests is false: the tests' stores sync as in production.
const fastTests = false
