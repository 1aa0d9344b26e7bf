package localenv

import "context"

// DemoPostgreSQLDDL is DemoMySQLDDL for PostgreSQL shards. Names are
// unquoted, so lower case: the template matches them to the session
// file's names without regard to case, and the comparison reads them so.
var DemoPostgreSQLDDL = []string{
	"CREATE TABLE Customers (CustomerId bigint NOT NULL PRIMARY KEY, Name varchar(100), " +
		"email_address varchar(200), Vip boolean, CreatedAt timestamptz)",
	"CREATE TABLE Orders (OrderId bigint NOT NULL PRIMARY KEY, CustomerId bigint NOT NULL, Amount numeric(12,2), " +
		"Note varchar(200), PlacedOn date, " +
		"CONSTRAINT FK_Orders_Customers FOREIGN KEY (CustomerId) REFERENCES Customers (CustomerId))",
	"CREATE TABLE Products (ProductId bigint NOT NULL PRIMARY KEY, Title varchar(100), Price double precision, InStock boolean)",
}

// CreateDemoPGShards is CreateDemoShards on PostgreSQL: one database per
// demo shard on the server at addr (adminUser a superuser without
// password), the demo's PostgreSQL schema, and the pipeline's role.
func CreateDemoPGShards(ctx context.Context, addr, adminUser, prefix string) (*DemoShardSet, error) {
	var dbs []ShardDB
	for _, id := range DemoShards {
		dbs = append(dbs, ShardDB{ID: id, Name: prefix + "_" + id})
	}
	return CreatePGShards(ctx, ShardSetup{Addr: addr, RootUser: adminUser, User: prefix, Password: demoPassword, Databases: dbs, DDL: DemoPostgreSQLDDL})
}
