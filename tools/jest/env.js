// Every test process: no SDK notice on Node 20, no real AWS credentials or endpoints leak in.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
process.env.NX_DAEMON = 'false';
