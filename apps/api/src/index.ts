import { Command } from "commander";

const program = new Command()
  .name("home-usage-api")
  .description("Serves unique users per period as JSON, CSV, HTML, text and SVG charts.")
  .version("0.1.0");

await program.parseAsync(process.argv);
