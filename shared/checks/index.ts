// Backup and data checks: the public API for the check-backups handler, the CLI and the report.
export type { BackupLike, DynamoDBLike, RetryOptions } from '#shared/inspection/aws.ts';
export { type AwsBackupCheck, checkAwsBackup } from './aws-backup.ts';
export { checkDynamoBackups, type DynamoBackupCheck } from './dynamodb-backup.ts';
export { checkHistory, nightResults, type SaveOptions, type StoredCheckResult, saveCheckResults } from './history.ts';
export {
  type CheckIncidentSummary,
  checkLabel,
  checkSubject,
  type NightlyCheckRun,
  raiseCheckIncidents,
  runNightlyChecks,
  runRestoreValidation,
} from './incidents.ts';
export { checkPitr, type PitrCheck } from './pitr.ts';
export {
  type ReconcileCounts,
  type ReconcileDeps,
  type ReconcileOptions,
  type ReconcileOutcome,
  reconcileTables,
  runReconciliation,
} from './reconcile.ts';
export {
  type RestoreValidationInput,
  validateRestoredTable,
  validateRestoreJob,
} from './restore.ts';
export {
  CheckError,
  type CheckKind,
  type CheckProblemKind,
  type CheckResult,
  type CheckStatus,
  type MismatchExample,
  problemKindOf,
} from './result.ts';
export {
  type CheckDeps,
  type CheckRun,
  type ChecksConfig,
  type RunChecksOptions,
  runBackupCheck,
  runChecks,
  worst,
} from './run.ts';
