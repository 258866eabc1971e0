import '@testing-library/jest-dom';

// The page tests render whole cards and type into them; in `scripts/test`
// they share two cores with the backend's emulator, chaos and database
// tests, where jest's 5 s per test is not enough for a render. A test that
// hangs still fails, after 30 s.
jest.setTimeout(30_000);
