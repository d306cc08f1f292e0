package i18n

// cliMessages are the messages of the command line: usage, help, errors and listings: code → Dutch, English.
var cliMessages = map[string][2]string{}
