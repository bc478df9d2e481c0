package main

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/halonsh/halonsh/mta/api"
	"github.com/halonsh/halonsh/mta/hooks"
	"github.com/halonsh/halonsh/mta/server"
)

// ensureTokenFile creates the API token file that smtpd.yaml names in
// api.tokenfile when it does not exist yet, with a random token readable
// only by its owner, so that a first `halonsh serve` has a working API.
// It reads only that key; the configuration loader reports every other
// problem. It returns the path of the file it created, or "".
func ensureTokenFile(configDir string, logger *slog.Logger) (string, error) {
	data, err := os.ReadFile(filepath.Join(configDir, "smtpd.yaml"))
	if err != nil {
		return "", nil
	}
	var doc struct {
		API struct {
			TokenFile string `yaml:"tokenfile"`
		} `yaml:"api"`
	}
	if yaml.Unmarshal(data, &doc) != nil || doc.API.TokenFile == "" {
		return "", nil
	}
	path := doc.API.TokenFile
	if !filepath.IsAbs(path) {
		path = filepath.Join(configDir, path)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		return "", nil
	}

	raw := make([]byte, 24)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	token := base64.RawURLEncoding.EncodeToString(raw)
	if err := os.WriteFile(path, []byte(token+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("api.tokenfile: cannot create %s: %w", path, err)
	}
	logger.Info("created the API token file", "path", path)
	return path, nil
}

// startAPI serves the control API on the configured address; it returns
// nil when the configuration has no API.
func startAPI(srv *server.Server, logger *slog.Logger) (*http.Server, error) {
	cfg := srv.Config().API
	if cfg.Address == "" {
		return nil, nil
	}

	handler, err := api.New(api.Options{
		Queue:   srv.Queue(),
		Policy:  srv.Policy(),
		Token:   cfg.Token,
		Reload:  srv.Reload,
		Logger:  logger,
		Metrics: hooks.Collectors(),
	})
	if err != nil {
		return nil, err
	}

	l, err := net.Listen("tcp", cfg.Address)
	if err != nil {
		return nil, fmt.Errorf("api.address: %w", err)
	}

	hs := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	scheme := "http"
	if cfg.CertFile != "" {
		scheme = "https"
	}
	go func() {
		var err error
		if scheme == "https" {
			err = hs.ServeTLS(l, cfg.CertFile, cfg.KeyFile)
		} else {
			err = hs.Serve(l)
		}
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("control API stopped", "err", err)
		}
	}()
	logger.Info("control API listening", "address", l.Addr().String(), "ui", scheme+"://"+l.Addr().String()+"/ui/")
	return hs, nil
}
