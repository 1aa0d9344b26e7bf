package streamquery

import (
	"errors"
	"math"
	"unicode/utf8"
	"unsafe"

	"cloud.google.com/go/spanner/apiv1/spannerpb"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/encoding"
	grpcproto "google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
)

// ClientOptions make a Spanner client decode query results with Codec.
func ClientOptions() []option.ClientOption {
	return []option.ClientOption{option.WithGRPCDialOption(grpc.WithDefaultCallOptions(grpc.ForceCodecV2(Codec{})))}
}

// Codec is gRPC's protobuf codec, except that it decodes PartialResultSet
// messages (query results) with far fewer allocations. A change record is
// a tree of a hundred or so google.protobuf.Value messages; the generic
// decoder allocates each value, its kind wrapper and each string on its
// own, which made it the reader's main cost. Codec counts the tree first,
// then fills it from a few slabs, and shares the message's bytes for every
// string. The result is an ordinary PartialResultSet. Anything unusual (an
// unknown field, a field repeated where the generic decoder would merge,
// a struct value) goes to the generic decoder instead.
type Codec struct{}

var protoCodec = encoding.GetCodecV2(grpcproto.Name)

func (Codec) Name() string { return grpcproto.Name }

func (Codec) Marshal(v any) (mem.BufferSlice, error) { return protoCodec.Marshal(v) }

func (Codec) Unmarshal(data mem.BufferSlice, v any) error {
	prs, ok := v.(*spannerpb.PartialResultSet)
	if !ok {
		return protoCodec.Unmarshal(data, v)
	}
	b := data.Materialize() // a copy this message owns: its strings point into it
	if err := decodeResultSet(b, prs); err != nil {
		proto.Reset(prs)
		return proto.Unmarshal(b, prs)
	}
	return nil
}

var errUnusual = errors.New("not a plain result set")

// slabs hold every value of one message.
type slabs struct {
	text    string // the message's bytes, shared by every string
	values  []structpb.Value
	lists   []structpb.ListValue
	items   []*structpb.Value // every list's elements, one after the other
	strs    []structpb.Value_StringValue
	bools   []structpb.Value_BoolValue
	nums    []structpb.Value_NumberValue
	nulls   []structpb.Value_NullValue
	wrapped []structpb.Value_ListValue
}

// counts is what a message needs of each slab.
type counts struct{ values, lists, items, strs, bools, nums, nulls int }

func decodeResultSet(b []byte, m *spannerpb.PartialResultSet) error {
	var c counts
	if err := walkResultSet(b, func(v []byte) error { return countValue(v, &c) }); err != nil {
		return err
	}
	s := &slabs{
		values: make([]structpb.Value, 0, c.values), lists: make([]structpb.ListValue, 0, c.lists),
		items: make([]*structpb.Value, 0, c.items), strs: make([]structpb.Value_StringValue, 0, c.strs),
		bools: make([]structpb.Value_BoolValue, 0, c.bools), nums: make([]structpb.Value_NumberValue, 0, c.nums),
		nulls: make([]structpb.Value_NullValue, 0, c.nulls), wrapped: make([]structpb.Value_ListValue, 0, c.lists),
	}
	if len(b) > 0 {
		s.text = unsafe.String(&b[0], len(b))
	}
	var seen uint32
	for off := 0; off < len(b); {
		num, typ, n := protowire.ConsumeTag(b[off:])
		if n < 0 {
			return errUnusual
		}
		off += n
		if num != 2 && num <= 31 {
			if seen&(1<<num) != 0 {
				return errUnusual // a repeated singular field: the generic decoder merges
			}
			seen |= 1 << num
		}
		switch {
		case num == 2 && typ == protowire.BytesType:
			v, n := protowire.ConsumeBytes(b[off:])
			if n < 0 {
				return errUnusual
			}
			val, err := s.value(v, off+n-len(v))
			if err != nil {
				return err
			}
			m.Values = append(m.Values, val)
			off += n
		case (num == 3 || num == 9) && typ == protowire.VarintType:
			x, n := protowire.ConsumeVarint(b[off:])
			if n < 0 {
				return errUnusual
			}
			if num == 3 {
				m.ChunkedValue = x != 0
			} else {
				m.Last = x != 0
			}
			off += n
		case (num == 1 || num == 4 || num == 5 || num == 8 || num == 10) && typ == protowire.BytesType:
			v, n := protowire.ConsumeBytes(b[off:])
			if n < 0 {
				return errUnusual
			}
			if err := setMessageField(m, num, v); err != nil {
				return err
			}
			off += n
		default:
			return errUnusual
		}
	}
	return nil
}

// setMessageField decodes the rarer fields the generic way.
func setMessageField(m *spannerpb.PartialResultSet, num protowire.Number, v []byte) error {
	var sub proto.Message
	switch num {
	case 4:
		m.ResumeToken = append([]byte(nil), v...)
		return nil
	case 1:
		m.Metadata = &spannerpb.ResultSetMetadata{}
		sub = m.Metadata
	case 5:
		m.Stats = &spannerpb.ResultSetStats{}
		sub = m.Stats
	case 8:
		m.PrecommitToken = &spannerpb.MultiplexedSessionPrecommitToken{}
		sub = m.PrecommitToken
	case 10:
		m.CacheUpdate = &spannerpb.CacheUpdate{}
		sub = m.CacheUpdate
	}
	return proto.Unmarshal(v, sub)
}

// walkResultSet calls fn with each encoded value of the message.
func walkResultSet(b []byte, fn func([]byte) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return errUnusual
		}
		b = b[n:]
		n = protowire.ConsumeFieldValue(num, typ, b)
		if n < 0 {
			return errUnusual
		}
		if num == 2 && typ == protowire.BytesType {
			v, _ := protowire.ConsumeBytes(b)
			if err := fn(v); err != nil {
				return err
			}
		}
		b = b[n:]
	}
	return nil
}

// countValue adds what an encoded google.protobuf.Value needs to c.
func countValue(b []byte, c *counts) error {
	c.values++
	kinds := 0
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return errUnusual
		}
		b = b[n:]
		kinds++
		switch {
		case num == 1 && typ == protowire.VarintType:
			c.nulls++
		case num == 2 && typ == protowire.Fixed64Type:
			c.nums++
		case num == 3 && typ == protowire.BytesType:
			c.strs++
			// proto3 strings must be UTF-8; the generic decoder reports
			// the error.
			if str, n := protowire.ConsumeBytes(b); n < 0 || !utf8.Valid(str) {
				return errUnusual
			}
		case num == 4 && typ == protowire.VarintType:
			c.bools++
		case num == 6 && typ == protowire.BytesType:
			c.lists++
			l, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return errUnusual
			}
			for len(l) > 0 {
				lnum, ltyp, ln := protowire.ConsumeTag(l)
				if ln < 0 || lnum != 1 || ltyp != protowire.BytesType {
					return errUnusual
				}
				e, en := protowire.ConsumeBytes(l[ln:])
				if en < 0 {
					return errUnusual
				}
				c.items++
				if err := countValue(e, c); err != nil {
					return err
				}
				l = l[ln+en:]
			}
		default:
			return errUnusual // a struct value, or something new
		}
		n = protowire.ConsumeFieldValue(num, typ, b)
		if n < 0 {
			return errUnusual
		}
		b = b[n:]
	}
	if kinds > 1 {
		return errUnusual // oneof set twice: leave the rules to the generic decoder
	}
	return nil
}

// value builds the Value encoded in b, which starts at byte base of the
// message (its strings are cut from s.text).
func (s *slabs) value(b []byte, base int) (*structpb.Value, error) {
	s.values = append(s.values, structpb.Value{})
	v := &s.values[len(s.values)-1]
	for off := 0; off < len(b); {
		num, _, n := protowire.ConsumeTag(b[off:])
		off += n
		switch num {
		case 1:
			x, n := protowire.ConsumeVarint(b[off:])
			s.nulls = append(s.nulls, structpb.Value_NullValue{NullValue: structpb.NullValue(x)})
			v.Kind = &s.nulls[len(s.nulls)-1]
			off += n
		case 2:
			x, n := protowire.ConsumeFixed64(b[off:])
			s.nums = append(s.nums, structpb.Value_NumberValue{NumberValue: math.Float64frombits(x)})
			v.Kind = &s.nums[len(s.nums)-1]
			off += n
		case 3:
			str, n := protowire.ConsumeBytes(b[off:])
			start := base + off + n - len(str)
			s.strs = append(s.strs, structpb.Value_StringValue{StringValue: s.text[start : start+len(str)]})
			v.Kind = &s.strs[len(s.strs)-1]
			off += n
		case 4:
			x, n := protowire.ConsumeVarint(b[off:])
			s.bools = append(s.bools, structpb.Value_BoolValue{BoolValue: x != 0})
			v.Kind = &s.bools[len(s.bools)-1]
			off += n
		case 6:
			l, n := protowire.ConsumeBytes(b[off:])
			lbase := base + off + n - len(l)
			// Reserve the list's slots first: nested lists take theirs
			// after. The slabs were sized by counting, so they never grow
			// (which would leave earlier slices on the old array).
			k := 0
			for loff := 0; loff < len(l); k++ {
				_, _, tn := protowire.ConsumeTag(l[loff:])
				_, en := protowire.ConsumeBytes(l[loff+tn:])
				loff += tn + en
			}
			first := len(s.items)
			s.items = s.items[:first+k]
			for i, loff := 0, 0; loff < len(l); i++ {
				_, _, tn := protowire.ConsumeTag(l[loff:])
				e, en := protowire.ConsumeBytes(l[loff+tn:])
				elem, err := s.value(e, lbase+loff+tn+en-len(e))
				if err != nil {
					return nil, err
				}
				s.items[first+i] = elem
				loff += tn + en
			}
			s.lists = append(s.lists, structpb.ListValue{})
			lv := &s.lists[len(s.lists)-1]
			lv.Values = s.items[first : first+k : first+k]
			s.wrapped = append(s.wrapped, structpb.Value_ListValue{ListValue: lv})
			v.Kind = &s.wrapped[len(s.wrapped)-1]
			off += n
		}
	}
	return v, nil
}
