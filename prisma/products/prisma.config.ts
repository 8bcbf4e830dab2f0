// Prisma CLI config for the products stock database (see subgraphPrismaConfig in @shop/prisma-kit).
import { defineConfig } from 'prisma/config';
import { subgraphPrismaConfig } from '@shop/prisma-kit';

export default defineConfig(subgraphPrismaConfig(__dirname, 'products'));
