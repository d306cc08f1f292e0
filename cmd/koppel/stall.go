package main

// stallEnv, set to "after-upload", makes koppel stop for good right after an upload is complete
// on the server and before the store records it: the moment a crash must not make the next
// upload send twice. The end-to-end test kills the process there. Only the test build
// (-tags koppeltest, stall_koppeltest.go) reads it.
const stallEnv = "KOPPEL_TEST_STALL"
