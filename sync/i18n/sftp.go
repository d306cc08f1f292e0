package i18n

// sftpMessages are the messages of the upload to Xpert Suite over SFTP: code → Dutch, English.
var sftpMessages = map[string][2]string{}
