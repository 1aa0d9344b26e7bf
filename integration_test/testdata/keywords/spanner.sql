-- Reserved words as table and column names.
CREATE TABLE `select` (
  `from` INT64 NOT NULL,
  `where` STRING(MAX),
  `group` STRING(MAX),
) PRIMARY KEY (`from`);
