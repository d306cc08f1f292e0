package i18n

// matchMessages are the messages of the first sync of an existing customer (koppel match): code → Dutch, English.
var matchMessages = map[string][2]string{}
