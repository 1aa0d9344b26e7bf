CREATE TABLE `select` (
  `from` BIGINT NOT NULL,
  `where` VARCHAR(100),
  `group` VARCHAR(100),
  PRIMARY KEY (`from`)
);
