package localenv

import (
	"context"
	"fmt"
	"math/big"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"cloud.google.com/go/civil"
	"cloud.google.com/go/spanner"
)

// DemoWorkload writes a shop's day into the demo schema: customers sign
// up, place and change orders, leave (with their orders, in one
// transaction), and the catalogue changes. One transaction at a time: the
// emulator runs one read-write transaction per database at a time.
type DemoWorkload struct {
	Client *spanner.Client
	Rate   float64 // transactions per second
	Seed   uint64

	// Transactions and Mutations count what was committed so far; safe to
	// read while Run runs.
	Transactions, Mutations atomic.Int64

	rng                   *rand.Rand
	customers             map[int64][]int64 // customer -> its orders
	orderOwner            map[int64]int64
	products              map[int64]bool
	nextCustomer, nextOrd int64
	nextProduct           int64
}

// Run writes until ctx ends or d has passed.
func (w *DemoWorkload) Run(ctx context.Context, d time.Duration) error {
	w.rng = rand.New(rand.NewPCG(w.Seed, w.Seed^0x5eed))
	w.customers, w.orderOwner, w.products = map[int64][]int64{}, map[int64]int64{}, map[int64]bool{}
	rate := w.Rate
	if rate <= 0 {
		rate = 20
	}
	tick := time.NewTicker(time.Duration(float64(time.Second) / rate))
	defer tick.Stop()
	end := time.After(d)
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-end:
			return nil
		case <-tick.C:
		}
		ms := w.next()
		if len(ms) == 0 {
			continue
		}
		if _, err := w.Client.Apply(ctx, ms); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("demo workload: %w", err)
		}
		w.Transactions.Add(1)
		w.Mutations.Add(int64(len(ms)))
	}
}

func shardOf(customer int64) string { return DemoShards[customer%int64(len(DemoShards))] }

// next picks the next transaction. The model of what exists is updated
// before the commit; Run stops at the first failed commit, so it never
// drifts from Spanner.
func (w *DemoWorkload) next() []*spanner.Mutation {
	r := w.rng.IntN(100)
	switch {
	case r < 20 || len(w.customers) < 3:
		return w.newCustomer()
	case r < 45:
		return w.newOrder()
	case r < 58:
		return w.updateCustomer()
	case r < 68:
		return w.updateOrder()
	case r < 74:
		return w.deleteOrder()
	case r < 78:
		return w.deleteCustomer()
	default:
		return w.product()
	}
}

func (w *DemoWorkload) anyCustomer() (int64, bool) {
	if len(w.customers) == 0 {
		return 0, false
	}
	// Map order is random enough for a demo, and cheap.
	n := w.rng.IntN(len(w.customers))
	for id := range w.customers {
		if n == 0 {
			return id, true
		}
		n--
	}
	return 0, false
}

// newCustomer's CreatedAt has whole seconds: the emulator's change stream
// drops fractions of TIMESTAMP values (Cloud Spanner keeps them).
func (w *DemoWorkload) newCustomer() []*spanner.Mutation {
	w.nextCustomer++
	id := w.nextCustomer
	w.customers[id] = nil
	return []*spanner.Mutation{spanner.Insert("Customers",
		[]string{"CustomerId", "Name", "Email", "Vip", "CreatedAt", demoShardColumn},
		[]any{id, fmt.Sprintf("Customer %d", id), fmt.Sprintf("c%d@example.com", id), id%7 == 0,
			time.Now().UTC().Truncate(time.Second), shardOf(id)})}
}

func (w *DemoWorkload) newOrder() []*spanner.Mutation {
	c, ok := w.anyCustomer()
	if !ok {
		return nil
	}
	w.nextOrd++
	id := w.nextOrd
	w.customers[c] = append(w.customers[c], id)
	w.orderOwner[id] = c
	return []*spanner.Mutation{spanner.Insert("Orders",
		[]string{"OrderId", "CustomerId", "Amount", "Note", "PlacedOn", demoShardColumn},
		[]any{id, c, w.amount(), nil, civil.DateOf(time.Now().UTC()), shardOf(c)})}
}

func (w *DemoWorkload) amount() spanner.NullNumeric {
	return spanner.NullNumeric{Numeric: *big.NewRat(int64(100+w.rng.IntN(99900)), 100), Valid: true}
}

func (w *DemoWorkload) updateCustomer() []*spanner.Mutation {
	c, ok := w.anyCustomer()
	if !ok {
		return nil
	}
	return []*spanner.Mutation{spanner.Update("Customers", []string{"CustomerId", "Name", "Vip"},
		[]any{c, fmt.Sprintf("Customer %d (renamed %d)", c, w.rng.IntN(1000)), w.rng.IntN(2) == 0})}
}

func (w *DemoWorkload) anyOrder() (int64, bool) {
	for id := range w.orderOwner {
		return id, true
	}
	return 0, false
}

func (w *DemoWorkload) updateOrder() []*spanner.Mutation {
	o, ok := w.anyOrder()
	if !ok {
		return nil
	}
	return []*spanner.Mutation{spanner.Update("Orders", []string{"OrderId", "Amount", "Note"},
		[]any{o, w.amount(), fmt.Sprintf("changed at %s", time.Now().UTC().Format(time.TimeOnly))})}
}

func (w *DemoWorkload) deleteOrder() []*spanner.Mutation {
	o, ok := w.anyOrder()
	if !ok {
		return nil
	}
	c := w.orderOwner[o]
	delete(w.orderOwner, o)
	orders := w.customers[c]
	for i, id := range orders {
		if id == o {
			w.customers[c] = append(orders[:i:i], orders[i+1:]...)
			break
		}
	}
	return []*spanner.Mutation{spanner.Delete("Orders", spanner.Key{o})}
}

// deleteCustomer removes a customer and its orders in one transaction: in
// MySQL the customer's delete may reach its shard before the orders', and
// is retried until they are gone (the foreign key refuses it until then).
func (w *DemoWorkload) deleteCustomer() []*spanner.Mutation {
	c, ok := w.anyCustomer()
	if !ok {
		return nil
	}
	var ms []*spanner.Mutation
	for _, o := range w.customers[c] {
		ms = append(ms, spanner.Delete("Orders", spanner.Key{o}))
		delete(w.orderOwner, o)
	}
	delete(w.customers, c)
	return append(ms, spanner.Delete("Customers", spanner.Key{c}))
}

func (w *DemoWorkload) product() []*spanner.Mutation {
	cols := []string{"ProductId", "Title", "Price", "InStock", demoShardColumn}
	if len(w.products) < 5 || w.rng.IntN(3) == 0 {
		w.nextProduct++
		id := w.nextProduct
		w.products[id] = true
		return []*spanner.Mutation{spanner.Insert("Products", cols,
			[]any{id, fmt.Sprintf("Product %d", id), float64(100+w.rng.IntN(9900)) / 100, true, DemoShards[id%int64(len(DemoShards))]})}
	}
	for id := range w.products {
		if w.rng.IntN(4) == 0 {
			delete(w.products, id)
			return []*spanner.Mutation{spanner.Delete("Products", spanner.Key{id})}
		}
		return []*spanner.Mutation{spanner.Update("Products", []string{"ProductId", "Price", "InStock"},
			[]any{id, float64(100+w.rng.IntN(9900)) / 100, w.rng.IntN(2) == 0})}
	}
	return nil
}
