// Command etcd runs etcd's own entry point; the sandbox's Kubernetes control plane stores its state here.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
