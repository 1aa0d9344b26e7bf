-- Accounts and invoices, used with
-- columnOverrides=[{Accounts.Region, Accounts.Tier}, {Invoices.SourceSystem, Invoices.Channel}]:
-- the source's Invoices key includes SourceSystem, a non-key column in
-- Spanner, and the source checks Balance >= 100.
CREATE TABLE Accounts (
  AccountId INT64 NOT NULL,
  Holder STRING(100),
  Balance NUMERIC,
  Tier STRING(20),
) PRIMARY KEY (AccountId);

CREATE TABLE Invoices (
  AccountId INT64 NOT NULL,
  InvoiceId INT64 NOT NULL,
  Amount NUMERIC,
  Channel STRING(20) NOT NULL,
) PRIMARY KEY (AccountId, InvoiceId);
