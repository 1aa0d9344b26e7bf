package fakespanner

import (
	"sync"

	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/mem"
	protov2 "google.golang.org/protobuf/proto"
)

// cachingCodec sends responses encoded ahead of time as they are, so that
// a benchmark against the fake measures the client, not the fake's own
// encoding: in production the server's work is done elsewhere.
type cachingCodec struct {
	inner encoding.CodecV2
	wire  *sync.Map // response message -> its encoding
}

func newCachingCodec() cachingCodec {
	return cachingCodec{inner: encoding.GetCodecV2(proto.Name), wire: &sync.Map{}}
}

// encodeAhead stores m's encoding for later sends of m.
func (c cachingCodec) encodeAhead(m protov2.Message) {
	b, err := protov2.Marshal(m)
	if err != nil {
		panic(err) // messages built by this package: cannot fail
	}
	c.wire.Store(m, b)
}

func (c cachingCodec) Marshal(v any) (mem.BufferSlice, error) {
	if b, ok := c.wire.Load(v); ok {
		return mem.BufferSlice{mem.SliceBuffer(b.([]byte))}, nil
	}
	return c.inner.Marshal(v)
}

func (c cachingCodec) Unmarshal(data mem.BufferSlice, v any) error { return c.inner.Unmarshal(data, v) }

func (c cachingCodec) Name() string { return proto.Name }
