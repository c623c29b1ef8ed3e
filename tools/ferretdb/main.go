// Command ferretdb-launcher runs FerretDB v1 with its SQLite backend on a
// loopback port, so tests and the demo have a real MongoDB-wire database on
// machines where no MongoDB server can be installed.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	dataDir := flag.String("data", ".data/ferretdb", "directory holding the SQLite databases")
	listen := flag.String("listen", "127.0.0.1:27027", "TCP address to listen on")
	flag.Parse()

	abs, err := filepath.Abs(*dataDir)
	if err != nil {
		fail(err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		fail(err)
	}

	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: *listen},
		Handler:   "sqlite",
		SQLiteURL: "file:" + abs + "/",
		Logger:    logger,
	})
	if err != nil {
		fail(err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	done := make(chan struct{})
	go func() {
		f.Run(ctx)
		close(done)
	}()

	// The URI is printed only once the listener accepts connections, so a
	// caller that reads this line can connect straight away.
	fmt.Println(f.MongoDBURI())
	<-done
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "ferretdb-launcher:", err)
	os.Exit(1)
}
