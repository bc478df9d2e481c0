package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"

	"github.com/halonsh/halonsh/builtins"
	"github.com/halonsh/halonsh/lang/vm"
)

// The memory endpoints read and write the memory_* store of scripts with
// JSON values: null, booleans, numbers, strings, and arrays and objects
// of those (objects become HSL arrays with string keys, lists arrays with
// keys 0..n-1).

func (s *Server) handleMemoryList(w http.ResponseWriter, r *http.Request) {
	keys := vm.SharedMemory().Keys()
	sort.Strings(keys)
	if keys == nil {
		keys = []string{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"keys": keys})
}

func (s *Server) handleMemoryGet(w http.ResponseWriter, r *http.Request) {
	key := r.PathValue("key")
	v, ok := vm.SharedMemory().Load(key)
	if !ok {
		writeError(w, http.StatusNotFound, "key", fmt.Sprintf("no memory key %q", key))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"key": key, "value": vm.ToPlain(v)})
}

func (s *Server) handleMemorySet(w http.ResponseWriter, r *http.Request) {
	key := r.PathValue("key")
	var body struct {
		Value json.RawMessage `json:"value"`
	}
	if err := decodeBody(r, &body); err != nil {
		badRequest(w, err)
		return
	}
	if body.Value == nil {
		badRequest(w, &fieldError{"value", "missing"})
		return
	}
	v, err := fromJSON(body.Value)
	if err != nil {
		badRequest(w, &fieldError{"value", err.Error()})
		return
	}
	if err := vm.SharedMemory().Store(key, v); err != nil {
		badRequest(w, &fieldError{"value", err.Error()})
		return
	}
	s.log.Info("memory key set through the API", append(operator(r), "key", key)...)
	writeJSON(w, http.StatusOK, map[string]any{"key": key, "value": vm.ToPlain(v)})
}

func (s *Server) handleMemoryDelete(w http.ResponseWriter, r *http.Request) {
	key := r.PathValue("key")
	if !vm.SharedMemory().Delete(key) {
		writeError(w, http.StatusNotFound, "key", fmt.Sprintf("no memory key %q", key))
		return
	}
	s.log.Info("memory key deleted through the API", append(operator(r), "key", key)...)
	writeJSON(w, http.StatusOK, map[string]any{"key": key, "deleted": true})
}

func (s *Server) handleRates(w http.ResponseWriter, r *http.Request) {
	counters := builtins.RateCounters()
	if counters == nil {
		counters = []builtins.RateCounter{}
	}
	type rateView struct {
		builtins.RateCounter
		Interval float64 `json:"interval"`
	}
	out := make([]rateView, len(counters))
	for i, c := range counters {
		out[i] = rateView{RateCounter: c, Interval: c.Interval.Seconds()}
	}
	writeJSON(w, http.StatusOK, map[string]any{"rates": out})
}

// fromJSON converts a JSON document to a memory value, keeping the key
// order of objects.
func fromJSON(raw json.RawMessage) (vm.Value, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	v, err := decodeValue(dec)
	if err != nil {
		return vm.None, fmt.Errorf("invalid JSON value: %v", err)
	}
	return v, nil
}

func decodeValue(dec *json.Decoder) (vm.Value, error) {
	tok, err := dec.Token()
	if err != nil {
		return vm.None, err
	}
	switch t := tok.(type) {
	case nil:
		return vm.None, nil
	case bool:
		return vm.Bool(t), nil
	case json.Number:
		f, err := t.Float64()
		if err != nil {
			return vm.None, err
		}
		return vm.Number(f), nil
	case string:
		return vm.String(t), nil
	case json.Delim:
		a := vm.NewArray(0)
		if t == '[' {
			for dec.More() {
				item, err := decodeValue(dec)
				if err != nil {
					return vm.None, err
				}
				if err := a.Append(item); err != nil {
					return vm.None, err
				}
			}
		} else {
			for dec.More() {
				keyTok, err := dec.Token()
				if err != nil {
					return vm.None, err
				}
				item, err := decodeValue(dec)
				if err != nil {
					return vm.None, err
				}
				key, err := vm.ToKey(vm.String(keyTok.(string)))
				if err != nil {
					return vm.None, err
				}
				a.Set(key, item)
			}
		}
		if _, err := dec.Token(); err != nil {
			return vm.None, err
		}
		return vm.ArrayValue(a), nil
	}
	return vm.None, fmt.Errorf("unexpected token %v", tok)
}
