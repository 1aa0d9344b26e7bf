// Package transformation runs a custom transformation on each change before
// it is written to the source: it may rewrite column values or filter the
// change out. It replaces the Java template's ISpannerMigrationTransformer
// JARs with either
//
//   - a transformation compiled into this binary, registered by name from
//     an init function (Register) and chosen with transformationClassName
//     alone; or
//   - a function of a WebAssembly module (transformationJarPath, a .wasm
//     file, gs:// or local; transformationClassName names the exported
//     function), run in the sandbox of io/plugin.
//
// Either way transformationCustomParameters is handed to it once when it
// starts, and each change is one Request answered by one Response, in the
// JSON shapes of the Java interface:
//
//	request:  {"tableName": "Singers", "requestRow": {"SingerId": "1", ...},
//	           "shardId": "shard1", "eventType": "INSERT"}
//	response: {"responseRow": {"full_name": "Ann Lee"}, "isEventFiltered": false}
//
// requestRow holds the change's values by Spanner column name in the change
// stream's JSON encoding (INT64 and NUMERIC as strings, BYTES as base64;
// for a DELETE, the row as it was just before it). responseRow is keyed by
// source column name; see mapping.ToSourceWith for how its values are
// written (always as bound parameters, never as SQL text). A filtered change
// is not written, still advances the shadow table, and is filed under
// filterEventsDirectoryName in the dead-letter directory. A transformation
// that fails sends the change to severe/ with its message.
package transformation
