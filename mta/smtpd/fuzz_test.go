package smtpd

import (
	"bufio"
	"context"
	"io"
	"net"
	"regexp"
	"testing"
	"time"
)

// memBackend keeps nothing; it lets the fuzz test reach DATA and Commit.
type memBackend struct{}

func (memBackend) NewMessage(ctx context.Context, tx *Transaction) (MessageWriter, error) {
	return memWriter{}, nil
}

type memWriter struct{}

func (memWriter) Write(p []byte) (int, error)                       { return len(p), nil }
func (memWriter) Commit(ctx context.Context, tx *Transaction) error { return nil }
func (memWriter) Abort()                                            {}

var replyLine = regexp.MustCompile(`^[2-5][0-9][0-9][ -]`)

// FuzzServerInput sends arbitrary bytes to a server on 127.0.0.1 and
// checks that every line it sends back is a well-formed reply and that it
// keeps serving new clients. Without -fuzz only the seeds run.
func FuzzServerInput(f *testing.F) {
	seeds := []string{
		"EHLO a\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\nSubject: x\r\n\r\nbody\r\n.\r\nQUIT\r\n",
		"HELO a\r\nMAIL FROM:<> SIZE=99999999999\r\nQUIT\r\n",
		"EHLO a\r\nMAIL FROM:<a@b> BODY=BINARYMIME\r\nRCPT TO:<c@d>\r\nBDAT 5 LAST\r\nhello",
		"EHLO a\r\nRCPT TO:<c@d>\r\nDATA\r\n",
		"EHLO a\r\nMAIL FROM:<a@b> RET=FULL ENVID=x+2B\r\nRCPT TO:<c@d> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;c@d\r\n",
		"EHLO \x00\xff\r\nAUTH PLAIN AGFAYg==\r\nSTARTTLS\r\n",
		"\r\n\r\nNOOP\r\nRSET\r\nVRFY x\r\nEXPN y\r\nHELP\r\n",
		"EHLO a\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n..leading dot\r\n.\r\n",
		"EHLO a\nMAIL FROM:<a@b>\nRCPT TO:<\"quoted local\"@d>\n",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}

	_, addr := startServer(f, Config{MaxMessageBytes: 4096, Timeout: 2 * time.Second}, memBackend{})

	f.Fuzz(func(t *testing.T, input []byte) {
		conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(5 * time.Second))

		// Read everything the server sends while the input goes out.
		lines := make(chan []string, 1)
		go func() {
			var got []string
			r := bufio.NewReader(conn)
			for {
				line, err := r.ReadString('\n')
				if line != "" {
					got = append(got, line)
				}
				if err != nil {
					break
				}
			}
			lines <- got
		}()
		conn.Write(input)
		// End the session: a QUIT after the input, then the write half
		// closes so that a server waiting for data sees EOF.
		conn.Write([]byte("\r\n.\r\nQUIT\r\n"))
		if tc, ok := conn.(*net.TCPConn); ok {
			tc.CloseWrite()
		}

		got := <-lines
		if len(got) == 0 {
			t.Fatal("server sent nothing, not even a banner")
		}
		for _, l := range got {
			if !replyLine.MatchString(l) {
				t.Fatalf("malformed reply line %q", l)
			}
		}

		// The server still greets a new client.
		c2, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer c2.Close()
		c2.SetDeadline(time.Now().Add(5 * time.Second))
		banner, err := bufio.NewReader(c2).ReadString('\n')
		if err != nil && err != io.EOF {
			t.Fatalf("reading banner after the input: %v", err)
		}
		if len(banner) < 4 || banner[:4] != "220 " {
			t.Fatalf("banner after the input: %q", banner)
		}
	})
}
