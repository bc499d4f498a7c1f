// Every test process: no SDK notice on Node 20, and no way to reach real AWS. Code that builds
// an SDK client without an explicit endpoint gets a closed loopback port instead of AWS; tests
// that talk to moto_server pass its endpoint explicitly.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
process.env.NX_DAEMON = 'false';
process.env.AWS_ENDPOINT_URL = 'http://127.0.0.1:9';
process.env.AWS_ACCESS_KEY_ID = 'testing';
process.env.AWS_SECRET_ACCESS_KEY = 'testing';
process.env.AWS_EC2_METADATA_DISABLED = 'true';
delete process.env.AWS_PROFILE;
