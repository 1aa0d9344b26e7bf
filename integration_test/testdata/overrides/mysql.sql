CREATE TABLE vendors (
  vendor_id INT NOT NULL PRIMARY KEY,
  vendor_name VARCHAR(100),
  notes TEXT
);

CREATE TABLE stock (
  sku VARCHAR(20) NOT NULL PRIMARY KEY,
  qty_on_hand INT,
  state VARCHAR(10)
);
