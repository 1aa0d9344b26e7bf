package fakespanner

import (
	"context"
	"fmt"

	"cloud.google.com/go/spanner/apiv1/spannerpb"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Read is one ReadRequest the server received, as far as tests check it.
type Read struct {
	Table    string
	Columns  []string
	Keys     int // point keys in the key set
	LockHint spannerpb.ReadRequest_LockHint
	// InTransaction is set for reads inside a read-write transaction
	// (begun inline or by id), where locks are taken.
	InTransaction bool
}

// Reads lists the reads received so far.
func (s *Server) Reads() []Read {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Read(nil), s.reads...)
}

// StreamingRead records the request and finds no rows: tables are empty.
// A read that begins a transaction inline gets the transaction's id, so
// that read-write transactions can go on to commit.
func (s *Server) StreamingRead(r *spannerpb.ReadRequest, stream spannerpb.Spanner_StreamingReadServer) error {
	sel := r.GetTransaction()
	inTx := sel.GetId() != nil || sel.GetBegin().GetReadWrite() != nil
	s.mu.Lock()
	s.reads = append(s.reads, Read{Table: r.GetTable(), Columns: r.GetColumns(), Keys: len(r.GetKeySet().GetKeys()),
		LockHint: r.GetLockHint(), InTransaction: inTx})
	s.mu.Unlock()
	fields := make([]*spannerpb.StructType_Field, len(r.GetColumns()))
	for i, c := range r.GetColumns() {
		fields[i] = &spannerpb.StructType_Field{Name: c, Type: &spannerpb.Type{Code: spannerpb.TypeCode_STRING}}
	}
	meta := &spannerpb.ResultSetMetadata{RowType: &spannerpb.StructType{Fields: fields}}
	if sel.GetBegin() != nil {
		meta.Transaction = s.newTransaction()
	}
	return stream.Send(&spannerpb.PartialResultSet{Metadata: meta})
}

func (s *Server) newTransaction() *spannerpb.Transaction {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.transactions++
	return &spannerpb.Transaction{Id: []byte(fmt.Sprintf("tx%d", s.transactions))}
}

func (s *Server) BeginTransaction(context.Context, *spannerpb.BeginTransactionRequest) (*spannerpb.Transaction, error) {
	return s.newTransaction(), nil
}

// Commit accepts every transaction and counts its mutations.
func (s *Server) Commit(_ context.Context, r *spannerpb.CommitRequest) (*spannerpb.CommitResponse, error) {
	s.mu.Lock()
	s.commits++
	s.mutations += len(r.GetMutations())
	s.mu.Unlock()
	return &spannerpb.CommitResponse{CommitTimestamp: timestamppb.Now()}, nil
}

// Commits returns how many transactions committed and their mutations.
func (s *Server) Commits() (commits, mutations int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.commits, s.mutations
}

func (s *Server) Rollback(context.Context, *spannerpb.RollbackRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}
