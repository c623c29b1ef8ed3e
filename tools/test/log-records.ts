// core4 `sys.log` records as core4 writes them: the fields the job reads, and some it does not.

/** A successful login of `user` at `created`. */
export const loginRecord = (user: string, created: string | Date) => ({
  created: new Date(created),
  message: "successful login",
  user,
  level: "INFO",
  levelno: 20,
  username: "core4",
  hostname: "app-01",
});
