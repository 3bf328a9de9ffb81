// Re-exported so tests load @pulumi/aws only after the mocks are installed.
export * as aws from '@pulumi/aws';
