// Startup subject: an empty ES module, the cost of starting any ESM program
// (bench.ts compares it with `node -e ""` and with the logger's own).
