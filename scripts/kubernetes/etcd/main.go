// One-member etcd for the tests: data directory, client URL and peer URL as arguments; logs "etcd ready".
// A minimal etcd for tests: one member, data in a given directory, client URL on loopback.
package main

import (
	"log"
	"net/url"
	"os"

	"go.etcd.io/etcd/server/v3/embed"
)

func main() {
	cfg := embed.NewConfig()
	cfg.Dir = os.Args[1]
	u, _ := url.Parse(os.Args[2])
	p, _ := url.Parse(os.Args[3])
	cfg.ListenClientUrls = []url.URL{*u}
	cfg.AdvertiseClientUrls = []url.URL{*u}
	cfg.ListenPeerUrls = []url.URL{*p}
	cfg.AdvertisePeerUrls = []url.URL{*p}
	cfg.InitialCluster = cfg.Name + "=" + p.String()
	cfg.LogLevel = "error"
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		log.Fatal(err)
	}
	<-e.Server.ReadyNotify()
	log.Print("etcd ready")
	log.Fatal(<-e.Err())
}
