// Command ferretdb starts FerretDB, a MongoDB-compatible server, through its embeddable
// package. The shop's tests and local runs use it where no MongoDB is installed.
//
// Why not `go install github.com/FerretDB/FerretDB/cmd/ferretdb`: that binary panics at
// start because its embedded version file is not part of the published module
// (https://github.com/FerretDB/FerretDB/issues/2982). The embeddable package sets its
// own version information, so a tiny main of our own avoids the problem.
package main

import (
	"context"
	"flag"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:27017", "TCP address to listen on")
	handler := flag.String("handler", "postgresql", "storage backend: postgresql or sqlite")
	postgresURL := flag.String("postgresql-url", "postgres://postgres@127.0.0.1:5432/ferretdb", "PostgreSQL URL for the postgresql handler")
	sqliteURL := flag.String("sqlite-url", "file:data/", "SQLite directory URI for the sqlite handler")
	flag.Parse()

	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))

	db, err := ferretdb.New(&ferretdb.Config{
		Listener:      ferretdb.ListenerConfig{TCP: *listen},
		Logger:        logger,
		Handler:       *handler,
		PostgreSQLURL: *postgresURL,
		SQLiteURL:     *sqliteURL,
	})
	if err != nil {
		logger.Error("ferretdb failed to start", "error", err)
		os.Exit(1)
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	logger.Warn("ferretdb listening", "uri", db.MongoDBURI(), "handler", *handler)
	if err := db.Run(ctx); err != nil {
		logger.Error("ferretdb stopped", "error", err)
		os.Exit(1)
	}
}
