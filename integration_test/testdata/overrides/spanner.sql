-- The Spanner side of overrides.json: vendors is Suppliers, vendor_name
-- is SupplierName, stock.qty_on_hand is Quantity.
CREATE TABLE Suppliers (
  vendor_id INT64 NOT NULL,
  SupplierName STRING(100),
  notes STRING(MAX),
) PRIMARY KEY (vendor_id);

CREATE TABLE stock (
  sku STRING(20) NOT NULL,
  Quantity INT64,
  state STRING(10),
) PRIMARY KEY (sku);
