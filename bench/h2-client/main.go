// A minimal gRPC unary client in Go's standard library only (no grpc-go, which is not
// installed here): raw HTTP/2 frames over one TCP connection, sending one pre-serialised
// request at a time and waiting for its response, as the engine calls Analyze. It stands in
// for the Pulumi CLI (a Go process) in bench/per-call.ts --client go, so the pack's cost can
// be measured without a Node client's. It is a lower bound for a real grpc-go client.
//
// usage: h2-client <host:port> <path> <request hex> <warmup> <n> <runs>
// Prints "start" before and "done <wall ns> <cpu ns>" after each run of n calls.
package main

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"syscall"
	"time"
)

const (
	frameData         = 0x0
	frameHeaders      = 0x1
	frameSettings     = 0x4
	framePing         = 0x6
	frameGoAway       = 0x7
	frameWindowUpdate = 0x8
	flagEndStream     = 0x1
	flagAck           = 0x1
	flagEndHeaders    = 0x4
)

// literal header field without indexing, new name, no Huffman (RFC 7541 6.2.2)
func hpackLiteral(b []byte, name, value string) []byte {
	b = append(b, 0x00)
	b = hpackInt(b, 7, len(name))
	b = append(b, name...)
	b = hpackInt(b, 7, len(value))
	return append(b, value...)
}

func hpackInt(b []byte, prefix uint, v int) []byte {
	max := (1 << prefix) - 1
	if v < max {
		return append(b, byte(v))
	}
	b = append(b, byte(max))
	v -= max
	for v >= 128 {
		b = append(b, byte(v%128+128))
		v /= 128
	}
	return append(b, byte(v))
}

func frame(w io.Writer, typ, flags byte, stream uint32, payload []byte) {
	h := make([]byte, 9, 9+len(payload))
	h[0], h[1], h[2] = byte(len(payload)>>16), byte(len(payload)>>8), byte(len(payload))
	h[3], h[4] = typ, flags
	binary.BigEndian.PutUint32(h[5:], stream)
	w.Write(append(h, payload...))
}

func cpuNs() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}

func main() {
	addr, path := os.Args[1], os.Args[2]
	req, err := hex.DecodeString(os.Args[3])
	if err != nil {
		panic(err)
	}
	warmup, _ := strconv.Atoi(os.Args[4])
	n, _ := strconv.Atoi(os.Args[5])
	runs, _ := strconv.Atoi(os.Args[6])

	conn, err := net.Dial("tcp", addr)
	if err != nil {
		panic(err)
	}
	conn.(*net.TCPConn).SetNoDelay(true)
	r := bufio.NewReaderSize(conn, 65536)
	conn.Write([]byte("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"))
	frame(conn, frameSettings, 0, 0, nil)

	msg := make([]byte, 5+len(req))
	binary.BigEndian.PutUint32(msg[1:], uint32(len(req)))
	copy(msg[5:], req)
	var hdr []byte
	hdr = hpackLiteral(hdr, ":method", "POST")
	hdr = hpackLiteral(hdr, ":scheme", "http")
	hdr = hpackLiteral(hdr, ":path", path)
	hdr = hpackLiteral(hdr, ":authority", addr)
	hdr = hpackLiteral(hdr, "content-type", "application/grpc")
	hdr = hpackLiteral(hdr, "te", "trailers")

	stream := uint32(1)
	fh := make([]byte, 9)
	received := 0 // DATA bytes not yet returned to the connection's flow-control window
	call := func() {
		// One write per call: HEADERS then DATA with END_STREAM (as grpc-go coalesces them).
		buf := make([]byte, 0, 9+len(hdr)+9+len(msg))
		w := &sliceWriter{buf}
		frame(w, frameHeaders, flagEndHeaders, stream, hdr)
		frame(w, frameData, flagEndStream, stream, msg)
		conn.Write(w.b)
		gotData := false
		for {
			if _, err := io.ReadFull(r, fh); err != nil {
				panic(err)
			}
			length := int(fh[0])<<16 | int(fh[1])<<8 | int(fh[2])
			typ, flags := fh[3], fh[4]
			sid := binary.BigEndian.Uint32(fh[5:]) & 0x7fffffff
			payload := make([]byte, length)
			if _, err := io.ReadFull(r, payload); err != nil {
				panic(err)
			}
			switch typ {
			case frameSettings:
				if flags&flagAck == 0 {
					frame(conn, frameSettings, flagAck, 0, nil)
				}
			case framePing:
				if flags&flagAck == 0 {
					frame(conn, framePing, flagAck, 0, payload)
				}
			case frameGoAway:
				panic("server sent GOAWAY")
			case frameData:
				gotData = true
				received += length
				if received > 16384 {
					inc := make([]byte, 4)
					binary.BigEndian.PutUint32(inc, uint32(received))
					frame(conn, frameWindowUpdate, 0, 0, inc)
					received = 0
				}
			case frameHeaders:
				if sid == stream && flags&flagEndStream != 0 {
					if !gotData {
						fmt.Fprintln(os.Stderr, "call failed: trailers without a response message")
						os.Exit(1)
					}
					stream += 2
					return
				}
			}
		}
	}
	for i := 0; i < warmup; i++ {
		call()
	}
	for run := 0; run < runs; run++ {
		fmt.Println("start")
		c0, t0 := cpuNs(), time.Now()
		for i := 0; i < n; i++ {
			call()
		}
		fmt.Printf("done %d %d\n", time.Since(t0).Nanoseconds(), cpuNs()-c0)
	}
}

type sliceWriter struct{ b []byte }

func (s *sliceWriter) Write(p []byte) (int, error) { s.b = append(s.b, p...); return len(p), nil }
