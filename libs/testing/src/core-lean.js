// Jest setupFiles of the default project: broker tests run on the lean core (whatever the shell says).
process.env.BROKER_CORE = 'lean';
