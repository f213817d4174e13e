import { type BundlingOptions, LogLevel, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';

/** How every function of the stack is bundled. */
export const LAMBDA_BUNDLING: BundlingOptions = {
  // Bundled on this machine by the esbuild in node_modules: no Docker needed.
  forceDockerBundling: false,
  target: 'node24',
  format: OutputFormat.CJS,
  minify: true,
  sourceMap: true,
  // Ship the SDK version the tests ran against instead of the runtime's, tree-shaken.
  bundleAwsSDK: true,
  mainFields: ['module', 'main'],
  logLevel: LogLevel.WARNING,
};
