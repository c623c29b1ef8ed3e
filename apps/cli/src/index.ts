import { Command } from "commander";

const program = new Command()
  .name("home-usage")
  .description("Counts the distinct people who log in to a core4 system, per day, week, month, quarter and year.")
  .version("0.1.0");

await program.parseAsync(process.argv);
