"""The classic leak: an aiohttp session created, used, and closed on the happy path only."""

import aiohttp


async def fetch_leaky(url: str) -> str:
    session = aiohttp.ClientSession()
    resp = await session.get(url)
    text = await resp.text()
    await session.close()  # never reached if text() raises: the connector leaks
    return text


async def fetch(url: str) -> str:
    async with aiohttp.ClientSession() as session:
        async with session.get(url) as resp:
            return await resp.text()
