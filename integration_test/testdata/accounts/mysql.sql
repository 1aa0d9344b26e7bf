CREATE TABLE Accounts (
  AccountId INT NOT NULL PRIMARY KEY,
  Holder VARCHAR(100),
  Balance DECIMAL(12,2) NOT NULL,
  Region VARCHAR(20),
  CONSTRAINT CHK_Balance CHECK (Balance >= 100)
);

CREATE TABLE Invoices (
  AccountId INT NOT NULL,
  InvoiceId INT NOT NULL,
  Amount DECIMAL(12,2),
  SourceSystem VARCHAR(20) NOT NULL,
  PRIMARY KEY (AccountId, SourceSystem, InvoiceId),
  CONSTRAINT FK_AccountInvoice FOREIGN KEY (AccountId) REFERENCES Accounts(AccountId)
);
