module github.com/koppel-nl/koppel

go 1.26.8

require (
	github.com/hooklift/gowsdl v0.5.0
	go.etcd.io/bbolt v1.5.0
	gopkg.in/yaml.v3 v3.0.1
)

require (
	github.com/creack/pty v1.1.24 // indirect
	golang.org/x/sys v0.45.0 // indirect
)

tool github.com/hooklift/gowsdl/cmd/gowsdl
