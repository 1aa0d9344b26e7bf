package fakespanner

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"cloud.google.com/go/spanner/apiv1/spannerpb"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/revrepl/spanner-to-sourcedb/io/changestream/decode"
)

// Request is one partition query the server received.
type Request struct {
	Token       string // "" for the initial query
	Start, End  time.Time
	ResumeToken string
	At          time.Time
}

// Fault makes a partition query fail with Code after sending After items.
// Each fault fires once.
type Fault struct {
	After int
	Code  codes.Code
}

// Server serves scripted change-stream partitions over gRPC, and
// read-write transactions on empty tables whose reads it records
// (readwrite.go).
type Server struct {
	// Addr is the loopback address the server listens on.
	Addr string
	// Postgres makes the server answer as a PostgreSQL-dialect database.
	Postgres bool
	// NoResumeTokens leaves resume tokens out of the responses, so that
	// the client cannot resume a broken stream by itself.
	NoResumeTokens bool

	grpc *grpc.Server
	spannerpb.UnimplementedSpannerServer

	codec cachingCodec

	mu         sync.Mutex
	partitions map[string][]decode.Item
	// responses are the partitions' items as encoded responses (without
	// result metadata), built once when a partition is scripted.
	responses map[string][]*spannerpb.PartialResultSet
	faults    map[string][]Fault
	requests  []Request
	sessions  int
	// Read-write transactions (readwrite.go).
	reads                            []Read
	transactions, commits, mutations int
}

// Start listens on a free loopback port.
func Start() (*Server, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("fakespanner: listen: %w", err)
	}
	codec := newCachingCodec()
	s := &Server{Addr: l.Addr().String(), grpc: grpc.NewServer(grpc.ForceServerCodecV2(codec)), codec: codec,
		partitions: map[string][]decode.Item{}, responses: map[string][]*spannerpb.PartialResultSet{}, faults: map[string][]Fault{}}
	spannerpb.RegisterSpannerServer(s.grpc, s)
	go s.grpc.Serve(l)
	return s, nil
}

// Close stops the server.
func (s *Server) Close() { s.grpc.Stop() }

// ClientOptions connect a real Spanner client to the server.
func (s *Server) ClientOptions() []option.ClientOption {
	return []option.ClientOption{
		option.WithEndpoint(s.Addr),
		option.WithoutAuthentication(),
		option.WithGRPCDialOption(grpc.WithTransportCredentials(insecure.NewCredentials())),
	}
}

// SetPartition scripts what a query of token returns ("" is the initial
// query), in stream order. A query returns the items whose position lies
// within its [start, end], and ends after a child-partitions item.
func (s *Server) SetPartition(token string, items []decode.Item) {
	resps := make([]*spannerpb.PartialResultSet, len(items))
	for i, it := range items {
		resps[i] = &spannerpb.PartialResultSet{Values: []*structpb.Value{s.encode(it)}}
		if !s.NoResumeTokens {
			resps[i].ResumeToken = []byte(strconv.Itoa(i + 1))
		}
		s.codec.encodeAhead(resps[i])
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.partitions[token] = items
	s.responses[token] = resps
}

func (s *Server) encode(it decode.Item) *structpb.Value {
	if s.Postgres {
		return structpb.NewStringValue(EncodePostgres(it))
	}
	return EncodeGoogleSQL(it)
}

// AddFault makes the next query of token fail as f says.
func (s *Server) AddFault(token string, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[token] = append(s.faults[token], f)
}

// Requests lists the partition queries received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

func (s *Server) newSession(db string, multiplexed bool) *spannerpb.Session {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sessions++
	return &spannerpb.Session{Name: fmt.Sprintf("%s/sessions/s%d", db, s.sessions), Multiplexed: multiplexed}
}

func (s *Server) CreateSession(_ context.Context, r *spannerpb.CreateSessionRequest) (*spannerpb.Session, error) {
	return s.newSession(r.GetDatabase(), r.GetSession().GetMultiplexed()), nil
}

func (s *Server) BatchCreateSessions(_ context.Context, r *spannerpb.BatchCreateSessionsRequest) (*spannerpb.BatchCreateSessionsResponse, error) {
	out := &spannerpb.BatchCreateSessionsResponse{}
	for i := int32(0); i < r.GetSessionCount(); i++ {
		out.Session = append(out.Session, s.newSession(r.GetDatabase(), false))
	}
	return out, nil
}

func (s *Server) GetSession(_ context.Context, r *spannerpb.GetSessionRequest) (*spannerpb.Session, error) {
	return &spannerpb.Session{Name: r.GetName()}, nil
}

func (s *Server) DeleteSession(context.Context, *spannerpb.DeleteSessionRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

// ExecuteStreamingSql answers change-stream partition queries.
func (s *Server) ExecuteStreamingSql(r *spannerpb.ExecuteSqlRequest, stream spannerpb.Spanner_ExecuteStreamingSqlServer) error {
	req, err := s.parse(r)
	if err != nil {
		return status.Error(codes.InvalidArgument, err.Error())
	}
	s.mu.Lock()
	s.requests = append(s.requests, req)
	script, known := s.partitions[req.Token]
	resps := s.responses[req.Token]
	var fault *Fault
	if fs := s.faults[req.Token]; len(fs) > 0 {
		fault = &fs[0]
		s.faults[req.Token] = fs[1:]
	}
	s.mu.Unlock()
	if !known {
		return status.Errorf(codes.OutOfRange, "Specified start_timestamp is invalid for the partition %q", req.Token)
	}

	picked, endHeartbeat := window(script, req.Start, req.End)
	skip := 0 // responses up to a resume token were delivered already
	if req.ResumeToken != "" {
		n, err := strconv.Atoi(req.ResumeToken)
		if err != nil {
			return status.Errorf(codes.InvalidArgument, "bad resume token %q", req.ResumeToken)
		}
		skip = n
	}
	var out []*spannerpb.PartialResultSet
	for _, k := range picked {
		if k >= skip {
			out = append(out, resps[k])
		}
	}
	if endHeartbeat {
		out = append(out, &spannerpb.PartialResultSet{Values: []*structpb.Value{s.encode(decode.Item{Heartbeat: req.End})}})
	}
	colName, colType := "ChangeRecord", ChangeRecordType()
	if s.Postgres {
		colName, colType = "read_json_stream", PostgresColumnType()
	}
	meta := &spannerpb.ResultSetMetadata{RowType: &spannerpb.StructType{Fields: []*spannerpb.StructType_Field{{Name: colName, Type: colType}}}}
	if len(out) == 0 {
		return stream.Send(&spannerpb.PartialResultSet{Metadata: meta})
	}
	for sent, prs := range out {
		if fault != nil && sent == fault.After {
			return status.Errorf(fault.Code, "fakespanner: injected %s after %d records", fault.Code, sent)
		}
		if sent == 0 {
			prs = &spannerpb.PartialResultSet{Metadata: meta, Values: prs.Values, ResumeToken: prs.ResumeToken}
		}
		if err := stream.Send(prs); err != nil {
			return err
		}
	}
	if fault != nil && fault.After >= len(out) {
		return status.Errorf(fault.Code, "fakespanner: injected %s after %d records", fault.Code, len(out))
	}
	return nil
}

// window picks the items a query of [start, end] returns, as indexes into
// script: those within it, up to and including a child-partitions item
// (after which a partition query ends). A query that ends before its
// partition does gets a last heartbeat at end, as Spanner sends.
func window(script []decode.Item, start, end time.Time) (picked []int, endHeartbeat bool) {
	for i, it := range script {
		p := it.Position()
		if p.Before(start) {
			continue
		}
		if p.After(end) {
			return picked, true
		}
		picked = append(picked, i)
		if len(it.Children) > 0 {
			return picked, false
		}
	}
	return picked, false
}

// parse reads the partition token and time range of a TVF call, in either
// dialect's parameter names.
func (s *Server) parse(r *spannerpb.ExecuteSqlRequest) (Request, error) {
	sql := r.GetSql()
	if !strings.Contains(sql, "READ_") && !strings.Contains(sql, "read_json_") {
		return Request{}, fmt.Errorf("fakespanner serves change-stream queries only, got %q", sql)
	}
	p := r.GetParams().GetFields()
	names := [3]string{"start", "end", "token"}
	if s.Postgres {
		names = [3]string{"p1", "p2", "p3"}
	}
	req := Request{ResumeToken: string(r.GetResumeToken()), At: time.Now()}
	var err error
	if req.Start, err = time.Parse(time.RFC3339Nano, p[names[0]].GetStringValue()); err != nil {
		return req, fmt.Errorf("start: %w", err)
	}
	if req.End, err = time.Parse(time.RFC3339Nano, p[names[1]].GetStringValue()); err != nil {
		return req, fmt.Errorf("end: %w", err)
	}
	req.Token = p[names[2]].GetStringValue()
	return req, nil
}
