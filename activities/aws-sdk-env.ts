// The AWS SDK warns when its modules load that its releases after January 2027 need Node 22 or
// later (the move to Node 24 is issue 11). Each entry point imports this module first, so the
// setting is in place before any SDK module loads; ESM evaluates imports in order.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
