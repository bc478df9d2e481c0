package builtins

import (
	"fmt"
	"strings"
)

// parseCSV splits CSV text into rows of fields with RFC 4180 quoting:
// a field in double quotes may contain the delimiter, CR, LF and doubled
// quotes. Rows end with LF or CRLF, and a final empty line is not a row.
// A quote inside an unquoted field is kept as text; text between a
// closing quote and the next delimiter or row end is an error.
func parseCSV(text string, delim byte) ([][]string, error) {
	var rows [][]string
	var row []string
	var field strings.Builder
	i := 0
	for i < len(text) {
		// One field starts at i.
		field.Reset()
		if text[i] == '"' {
			start := i
			i++
			for {
				if i >= len(text) {
					return nil, fmt.Errorf("unterminated quoted field starting at byte %d", start)
				}
				if text[i] == '"' {
					if i+1 < len(text) && text[i+1] == '"' {
						field.WriteByte('"')
						i += 2
						continue
					}
					i++
					break
				}
				field.WriteByte(text[i])
				i++
			}
			if i < len(text) && text[i] != delim && text[i] != '\n' && !strings.HasPrefix(text[i:], "\r\n") {
				return nil, fmt.Errorf("unexpected text after the closing quote at byte %d", i)
			}
		} else {
			for i < len(text) && text[i] != delim && text[i] != '\n' && !strings.HasPrefix(text[i:], "\r\n") {
				field.WriteByte(text[i])
				i++
			}
		}
		row = append(row, field.String())

		// What follows the field: a delimiter, a row end or the end.
		switch {
		case i >= len(text):
			rows = append(rows, row)
			return rows, nil
		case text[i] == delim:
			i++
			if i == len(text) {
				// A delimiter at the very end leaves an empty last field.
				rows = append(rows, append(row, ""))
				return rows, nil
			}
		case text[i] == '\n':
			i++
			rows = append(rows, row)
			row = nil
		default: // CRLF
			i += 2
			rows = append(rows, row)
			row = nil
		}
	}
	if row != nil {
		rows = append(rows, row)
	}
	return rows, nil
}

// encodeCSVRow joins fields into one CSV row without a line terminator,
// quoting a field that contains the delimiter, a quote, CR or LF.
func encodeCSVRow(fields []string, delim byte) string {
	var b strings.Builder
	for i, f := range fields {
		if i > 0 {
			b.WriteByte(delim)
		}
		if !strings.ContainsAny(f, "\"\r\n") && strings.IndexByte(f, delim) < 0 {
			b.WriteString(f)
			continue
		}
		b.WriteByte('"')
		b.WriteString(strings.ReplaceAll(f, `"`, `""`))
		b.WriteByte('"')
	}
	return b.String()
}
