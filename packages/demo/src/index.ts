export {
  type DemoDataOptions,
  type DemoDataSummary,
  type DemoLogRecord,
  type DemoRole,
  type DemoRolesSummary,
  demoLoginOf,
  generateDemoRecords,
  writeDemoData,
  writeDemoRoles,
} from "./demo-data.js";
export { IDLE_ACCOUNTS, LOGIN_STYLES, type LoginStyle, NOISE, type NoiseTemplate } from "./templates.js";
