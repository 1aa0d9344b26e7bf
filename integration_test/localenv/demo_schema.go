package localenv

import (
	"encoding/json"
	"fmt"
)

// The demo's schema: a sharded shop. Every Spanner table carries
// migration_shard_id, the shard its row came from, as
// spanner-migration-tool adds in a sharded migration; the session file
// names it, so the pipeline routes each row to its shard. Orders reference
// Customers by a foreign key on both sides, so a customer and its orders
// live on one shard. Customers.Email is email_address at the source: the
// session file maps the name.
var (
	DemoSpannerDDL = []string{
		`CREATE TABLE Customers (
			CustomerId INT64 NOT NULL,
			Name STRING(100),
			Email STRING(200),
			Vip BOOL,
			CreatedAt TIMESTAMP,
			migration_shard_id STRING(20),
		) PRIMARY KEY (CustomerId)`,
		`CREATE TABLE Orders (
			OrderId INT64 NOT NULL,
			CustomerId INT64 NOT NULL,
			Amount NUMERIC,
			Note STRING(200),
			PlacedOn DATE,
			migration_shard_id STRING(20),
			CONSTRAINT FK_Orders_Customers FOREIGN KEY (CustomerId) REFERENCES Customers (CustomerId),
		) PRIMARY KEY (OrderId)`,
		`CREATE TABLE Products (
			ProductId INT64 NOT NULL,
			Title STRING(100),
			Price FLOAT64,
			InStock BOOL,
			migration_shard_id STRING(20),
		) PRIMARY KEY (ProductId)`,
		`CREATE CHANGE STREAM ` + DemoStream + ` FOR ALL OPTIONS (value_capture_type = 'NEW_ROW', retention_period = '1d')`,
	}
	DemoMySQLDDL = []string{
		"CREATE TABLE Customers (CustomerId BIGINT NOT NULL PRIMARY KEY, Name VARCHAR(100), " +
			"email_address VARCHAR(200), Vip TINYINT(1), CreatedAt DATETIME(6))",
		"CREATE TABLE Orders (OrderId BIGINT NOT NULL PRIMARY KEY, CustomerId BIGINT NOT NULL, Amount DECIMAL(12,2), " +
			"Note VARCHAR(200), PlacedOn DATE, " +
			"CONSTRAINT FK_Orders_Customers FOREIGN KEY (CustomerId) REFERENCES Customers (CustomerId))",
		"CREATE TABLE Products (ProductId BIGINT NOT NULL PRIMARY KEY, Title VARCHAR(100), Price DOUBLE, InStock TINYINT(1))",
	}
	// DemoTables say how the verification compares each table.
	DemoTables = []Table{
		{Name: "Customers", Key: []string{"CustomerId"}, Renamed: map[string]string{"Email": "email_address"}, ShardColumn: demoShardColumn},
		{Name: "Orders", Key: []string{"OrderId"}, ShardColumn: demoShardColumn},
		{Name: "Products", Key: []string{"ProductId"}, ShardColumn: demoShardColumn},
	}
	// DemoShards are the logical shard ids of the demo's two MySQL databases.
	DemoShards = []string{"shard1", "shard2"}
)

// DemoStream is the demo's change stream.
const DemoStream = "demo_stream"

const demoShardColumn = "migration_shard_id"

// DemoSession renders the session file of the demo schema, in the shape
// spanner-migration-tool writes (only the parts the pipeline reads).
func DemoSession() ([]byte, error) {
	type col struct{ Name string }
	type table struct {
		Name          string
		ColIds        []string
		ColDefs       map[string]col
		ShardIdColumn string `json:",omitempty"`
	}
	sp, src := map[string]table{}, map[string]table{}
	for _, tb := range []struct {
		name string
		cols []string // Spanner columns; source names differ only where renamed
	}{
		{"Customers", []string{"CustomerId", "Name", "Email", "Vip", "CreatedAt"}},
		{"Orders", []string{"OrderId", "CustomerId", "Amount", "Note", "PlacedOn"}},
		{"Products", []string{"ProductId", "Title", "Price", "InStock"}},
	} {
		id := "t_" + tb.name
		s := table{Name: tb.name, ColDefs: map[string]col{}}
		m := table{Name: tb.name, ColDefs: map[string]col{}}
		var renamed map[string]string
		for _, d := range DemoTables {
			if d.Name == tb.name {
				renamed = d.Renamed
			}
		}
		for i, c := range tb.cols {
			cid := fmt.Sprintf("%s_c%d", tb.name, i)
			s.ColIds, m.ColIds = append(s.ColIds, cid), append(m.ColIds, cid)
			s.ColDefs[cid] = col{c}
			srcName := c
			if r, ok := renamed[c]; ok {
				srcName = r
			}
			m.ColDefs[cid] = col{srcName}
		}
		shardID := tb.name + "_shard"
		s.ColIds = append(s.ColIds, shardID)
		s.ColDefs[shardID] = col{demoShardColumn}
		s.ShardIdColumn = shardID
		sp[id], src[id] = s, m
	}
	return json.MarshalIndent(map[string]any{"SpSchema": sp, "SrcSchema": src, "SyntheticPKeys": map[string]any{}}, "", "  ")
}
