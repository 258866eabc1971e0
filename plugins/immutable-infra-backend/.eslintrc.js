module.exports = require('@backstage/cli/config/eslint-factory')(__dirname, {
  rules: {
    // The tests' helpers that assert are named expect… (expectChaosPasses).
    'jest/expect-expect': [
      'warn',
      { assertFunctionNames: ['expect', 'expect[A-Z]*', 'fc.assert'] },
    ],
  },
});
