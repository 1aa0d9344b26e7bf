package params

// runnerFlags are the Beam runner flags --help lists, in this order, with a
// help text written for this template; --help-all lists every other flag
// with Beam's own text. The flags themselves are Beam's: a name here that
// the binary does not register is simply not shown.
var runnerFlags = []struct {
	name, help, def string
}{
	{"runner", "Where the pipeline runs: prism runs it locally in this process, dataflow submits a Dataflow job.", "prism"},
	{"project", "Google Cloud project of the Dataflow job.", ""},
	{"region", "Region of the Dataflow job, for example us-central1.", ""},
	{"temp_location", "Folder (gs:// on Dataflow) for temporary files; deadLetterQueueDirectory defaults to dlq/ under it.", ""},
	{"staging_location", "gs:// folder where the dataflow runner uploads this binary for the workers.", ""},
	{"job_name", "Name of the Dataflow job.", ""},
	{"num_workers", "Number of Dataflow workers to start with.", ""},
	{"max_num_workers", "Most Dataflow workers autoscaling may use; maxShardConnections is shared between them.", ""},
	{"worker_machine_type", "Machine type of the Dataflow workers, for example n2-standard-4.", ""},
	{"service_account_email", "Service account the Dataflow workers run as.", ""},
	{"network", "VPC network of the Dataflow workers; it must reach the source database shards.", ""},
	{"subnetwork", "Subnetwork of the Dataflow workers.", ""},
	{"endpoint", "Job service of a portable runner that is already running; empty starts prism in this process.", ""},
	{"dry_run", "Dataflow runner: print the job instead of submitting it.", ""},
}
