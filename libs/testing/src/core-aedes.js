// Jest setupFiles of the `aedes-reference` project: the broker suites again, on the aedes core (the
// reference the lean core is held to; see jest.config.js).
process.env.BROKER_CORE = 'aedes';
